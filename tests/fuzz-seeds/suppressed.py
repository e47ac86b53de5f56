import os
os.system(x)  # nosec
eval(y)  # vigil: ignore[py-eval-dynamic]
