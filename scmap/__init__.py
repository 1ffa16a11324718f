"""scmap: map SoundCloud scenes from how accounts interact."""
