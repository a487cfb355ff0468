{{ "a\x00b" | b64enc }}
