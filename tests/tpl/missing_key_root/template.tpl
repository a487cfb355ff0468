{{ .NoSuchField }}
