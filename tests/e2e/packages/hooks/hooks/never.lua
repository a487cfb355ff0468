return false, "never healthy, by design"
