{{ .Params.replicas | printf "%s-%s" "n" }}
