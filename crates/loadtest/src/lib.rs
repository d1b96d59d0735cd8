//! Load generator for Plenum media nodes (issue 3, being built).
