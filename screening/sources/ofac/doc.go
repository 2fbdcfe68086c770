// Package ofac parses OFAC's legacy SDN CSV files (sdn.csv, alt.csv,
// add.csv, sdn_comments.csv) into screening entities.
//
// The files have no header row and "-0-" marks an empty field. Remarks
// longer than the sdn.csv field continue in sdn_comments.csv and are joined
// verbatim before parsing. From the remarks it extracts dates of birth,
// nationalities, identity and registration numbers, a.k.a. names and
// "Digital Currency Address - <CCY> <address>" entries.
package ofac
