{{ printf "%c|%q|%U|%#U|%x|% x|%X" 233 233 233 65 "héllo" "abc" "hi" }}
