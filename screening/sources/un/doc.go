// Package un parses the UN Security Council Consolidated List XML
// (CONSOLIDATED_LIST / INDIVIDUALS / ENTITIES) into screening entities:
// names (joined FIRST..FOURTH_NAME, plus the original script), aliases,
// dates of birth (exact, year, or between years), nationalities and
// identity documents.
package un
