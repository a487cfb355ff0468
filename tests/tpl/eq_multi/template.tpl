{{ eq .Params.replicas "1" "2" "3" }} {{ eq "a" "b" "c" }} {{ eq 1 1 }} {{ eq .f 2.0 }} {{ eq true true }}
