// Package screeningtest holds test helpers shared by the screening
// packages: the location of the full sanctions snapshot and a conformance
// suite for screening.StatusStore implementations.
package screeningtest
