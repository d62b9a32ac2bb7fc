package store

// Explain is explain, for the external tests that feed it what PostgreSQL
// really said.
var Explain = explain
