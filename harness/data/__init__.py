"""Reading task data (hub, local files in their original formats, bundled samples) into a standard schema."""
