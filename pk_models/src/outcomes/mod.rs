//! Outcomes: declarative definitions evaluated on a twin's trajectory.
