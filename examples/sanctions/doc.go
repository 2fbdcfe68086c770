// Package sanctions embeds a snapshot of the OFAC SDN list (sdn.csv, alt.csv,
// add.csv, sdn_comments.csv, as published by OFAC) that the embedded default
// screens against when no lists directory is configured. Production
// deployments set screening.lists_dir and a refresh interval instead.
package sanctions
