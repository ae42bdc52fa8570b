// All neural-network modules in one include (specnet::nn, mirroring torch.nn).
#pragma once
#include "specnet/nn/activation.h"
#include "specnet/nn/batchnorm.h"
#include "specnet/nn/container.h"
#include "specnet/nn/conv.h"
#include "specnet/nn/dropout.h"
#include "specnet/nn/init.h"
#include "specnet/nn/linear.h"
#include "specnet/nn/module.h"
