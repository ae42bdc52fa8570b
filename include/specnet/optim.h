// All optimizers and schedulers in one include (specnet::optim, mirroring torch.optim).
#pragma once
#include "specnet/optim/adam.h"
#include "specnet/optim/cosine.h"
#include "specnet/optim/ema.h"
#include "specnet/optim/optimizer.h"
#include "specnet/optim/plateau.h"
#include "specnet/optim/sgd.h"
