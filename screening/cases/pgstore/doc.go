// Package pgstore is the PostgreSQL cases.Store for shared deployments, on
// the process's shared pgxpool. It owns the tables cases_cases,
// cases_deliveries and cases_schema_migrations; Migrate applies the
// embedded migrations idempotently. Every method is one transaction (or
// one statement); Update locks the case row (SELECT ... FOR UPDATE), so
// concurrent decisions on one case serialise across replicas.
package pgstore
