{{ $v := semver "1.2.3-beta+meta" }}{{ $v }} {{ list $v }} {{ dict "v" $v }} {{ printf "%s|%q|%v|%d" $v $v $v $v }} {{ printf "%T" $v }}
{{ $t := toDate "2006-01-02 15:04" "2017-12-31 10:11" }}{{ $t }} {{ list $t }} {{ printf "%s|%v|%T" $t $t $t }} {{ toDate "2006-01-02" "2017-02-30" }}
