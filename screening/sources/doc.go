// Package sources recognises list files by name and content and hands each
// to its list's parser (ofac, un, eu). Parse is the screening.ParseFunc
// cmd/clearance gives screening.NewService.
//
// Recognition: sdn.csv, alt.csv, add.csv and sdn_comments.csv (any case)
// form one OFAC snapshot, which needs sdn.csv; an XML file whose root is
// CONSOLIDATED_LIST is the UN list; one whose root is export is the EU
// list. Any other file is an error, so a typo never loads an empty set.
package sources
