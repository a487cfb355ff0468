{{ b32dec "AA======" | len }}
