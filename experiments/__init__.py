"""Experiments and diagnostics: the degradation experiment of He et al. 2015
(`resnet experiment degradation`) and the gradient-flow and activation
records it takes during `model.fit`."""
