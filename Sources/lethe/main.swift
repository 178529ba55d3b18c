import LetheCore
print("lethe: not built yet")
