print("aurum")
