{{/* abc */ x }}
