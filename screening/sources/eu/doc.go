// Package eu parses the EU Consolidated Financial Sanctions List XML
// (the "export" format of the Financial Sanctions Database, namespace
// http://eu.europa.ec/fpi/fsd/export), built from its public
// specification: each sanctionEntity has a subjectType (person,
// enterprise, ...), nameAlias elements (wholeName or first/middle/last),
// birthdate, citizenship and identification elements. The first nameAlias
// is the primary name; the others are aliases.
package eu
