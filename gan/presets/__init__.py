"""Presets and lessons, as data, in one place: `train` (the Train page's presets and lessons, also the CLI's),
`races` (the Compare page's races) and `playground` (the 2-D Playground's lessons)."""
