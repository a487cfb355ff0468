{{ $x := .Params.replicas }}{{ $x }} {{ $y := 2 }}{{ $y }}
