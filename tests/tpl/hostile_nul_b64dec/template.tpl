{{ b64dec "AAEC" | len }}
