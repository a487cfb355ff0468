{{ .Params.replicas.value }}
