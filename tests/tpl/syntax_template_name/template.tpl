{{ template x }}
