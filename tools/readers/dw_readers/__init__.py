"""Independent Delta readers and writers (delta-rs and Spark + Delta) for Delta Writer's tests."""
