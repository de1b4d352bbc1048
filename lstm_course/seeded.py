"""Train the same architecture once per seed without paying Keras' set-up cost every time.

`fit` traces its training and evaluation functions on the first call; on a CPU that costs more than
a short run's training steps. `fresh_model_per_seed` keeps ONE compiled model and, for each seed,
resets it to exactly the weights and optimizer state that building it anew under that seed gives.
"""
import gc

from .env import _trim_c_heap, set_seed


def fresh_model_per_seed(build, seeds):
    """Yield `(seed, model)` for each seed: the same model object, reset as if `build()` had just made it.

    `build()` must return a compiled model (same architecture every call). The global seed is set to
    `seed` before building and again before yielding, so `fit` shuffles the same way a freshly built
    model would. Use the model before asking for the next seed: it is reset in place.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    model, optimizer_start = None, None
    for seed in seeds:
        if model is not None:  # the previous seed's run is over: hand its freed memory back first
            gc.collect()
            _trim_c_heap()
        set_seed(seed)
        fresh = build()
        if model is None:
            model = fresh
            model.optimizer.build(model.trainable_variables)
            optimizer_start = [variable.numpy() for variable in model.optimizer.variables]
        else:
            if [tuple(w.shape) for w in fresh.weights] != [tuple(w.shape) for w in model.weights]:
                raise ValueError("build() must return the same architecture for every seed")
            model.set_weights(fresh.get_weights())
            for variable, value in zip(model.optimizer.variables, optimizer_start):
                variable.assign(value)
        set_seed(seed)
        yield seed, model
