{{ printf "%.3s|%.2q|%5.1s|%-4.2s|" "héllo" "abc" "xyz" "€uro" }}
