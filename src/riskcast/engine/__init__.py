"""The numba core: counter-based random numbers, inverse-CDF sampling, the simulation kernel,
and the driver that runs it in batches (the only place that uses numba)."""
