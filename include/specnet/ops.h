// All differentiable ops in one include.
#pragma once
#include "specnet/ops/activation.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/batchnorm.h"
#include "specnet/ops/concat.h"
#include "specnet/ops/conv.h"
#include "specnet/ops/dropout.h"
#include "specnet/ops/linear.h"
#include "specnet/ops/loss.h"
#include "specnet/ops/math.h"
#include "specnet/ops/reduce.h"
