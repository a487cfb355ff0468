{{ printf "a%cb" 0 | len }}
