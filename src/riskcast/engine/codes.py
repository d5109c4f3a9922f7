"""The engine's array contract: distribution codes and their parameter layout, link-type codes.

``compile`` writes networks in these codes; the kernels read them. Nothing here imports from
above the engine.

Parameters of each distribution code (a row of ``dist_params``, :data:`N_PARAMS` wide):

=============  ==============================================================================
FIXED          value
UNIFORM        low, width
TRIANGULAR     low, mode, high, (mode - low) / (high - low)
PERT_TABLE     low, width, shape row coordinate s * N_S in the universal PERT table
ROW_TABLE      low, width, own row in the quantile table (PERT shape, modified PERT, beta)
NORMAL         mu, sd, Phi(a), Phi(b) - Phi(a), mirror sign, low, high (truncated normal)
LOGNORMAL      mu, sigma, row of its own in the quantile table
EXPONENTIAL    mean
DISCRETE       offset of (values..., cumulative probabilities...) in ``aux``, count
EMPIRICAL      offset of the sorted values in ``aux``, count
=============  ==============================================================================
"""

FIXED, UNIFORM, TRIANGULAR, PERT_TABLE, ROW_TABLE, NORMAL, LOGNORMAL, EXPONENTIAL = range(8)
DISCRETE, EMPIRICAL = 8, 9
N_PARAMS = 8

FS, SS, FF, SF = range(4)  # link types: the first two bound the start, the last two the finish

# Progress kinds (Network.progress): how a task's links and actual dates bind it.
NOT_STARTED, STARTED, STARTED_OVERRIDE, FINISHED = 0, 1, 2, 3
