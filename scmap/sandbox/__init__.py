"""The sandbox: a local imitation of SoundCloud (world generator + site) for tests and the demo."""
