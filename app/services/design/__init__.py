"""Process design: drafts, validated deploys, versions, diffs, migrations (the engine's design half is engine/design.py)."""
