"""Pure DataFrame -> DataFrame steps from validated events to the star-schema tables."""
