#!/bin/sh
# mpirun with the settings this project needs on a workstation or CI box:
# running as root allowed (containers), oversubscription allowed (more ranks
# than cores), no single-copy shared-memory mechanism (often denied in
# containers).  Usage: scripts/mpirun.sh NP COMMAND...
NP=$1; shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
# One BLAS thread per rank (read by OpenBLAS when it loads, before main runs):
# otherwise idle OpenBLAS threads spin on the cores the other ranks need.
export OPENBLAS_NUM_THREADS=1
exec mpirun -n "$NP" "$@"
