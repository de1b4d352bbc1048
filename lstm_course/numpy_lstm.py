"""An LSTM cell in NumPy, laid out exactly like `keras.layers.LSTM` so the two can be compared.

Keras stores one `kernel` (input_dim, 4*units), one `recurrent_kernel` (units, 4*units) and one
`bias` (4*units,), with the four blocks in the order i, f, c, o:
  i = input gate, f = forget gate, c = candidate values (tanh), o = output gate.
"""
import numpy as np

GATE_ORDER = ("input", "forget", "candidate", "output")


def sigmoid(z):
    # Split by sign so exp() never overflows for large |z|.
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def split_gates(matrix, units: int) -> dict:
    """Split a Keras LSTM weight (last axis 4*units) into its four named blocks."""
    matrix = np.asarray(matrix)
    if matrix.shape[-1] != 4 * units:
        raise ValueError(f"last axis must be 4*units = {4 * units}, got {matrix.shape[-1]}")
    return {name: matrix[..., k * units:(k + 1) * units] for k, name in enumerate(GATE_ORDER)}


def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One time step. Works for one example (1-D x) or a batch (2-D x).

    Returns `(h, c, gates)` where gates holds the input, forget, candidate and output activations.
    """
    x, h_prev, c_prev = (np.asarray(a, dtype=np.float64) for a in (x, h_prev, c_prev))
    units = np.shape(recurrent_kernel)[0]
    if np.shape(kernel) != (x.shape[-1], 4 * units):
        raise ValueError(f"kernel must have shape ({x.shape[-1]}, {4 * units}), got {np.shape(kernel)}")
    z = x @ kernel + h_prev @ recurrent_kernel + bias  # all four gates in one matrix product
    blocks = split_gates(z, units)
    gates = {
        "input": sigmoid(blocks["input"]),
        "forget": sigmoid(blocks["forget"]),
        "candidate": np.tanh(blocks["candidate"]),
        "output": sigmoid(blocks["output"]),
    }
    c = gates["forget"] * c_prev + gates["input"] * gates["candidate"]  # the cell state: the conveyor belt
    h = gates["output"] * np.tanh(c)  # the hidden state: what this step shows the next layer
    return h, c, gates


def lstm_forward(inputs, kernel, recurrent_kernel, bias, h0=None, c0=None) -> dict:
    """Run the cell over `inputs` of shape (time, features) or (batch, time, features).

    Returns a dict with the hidden states `h` and cell states `c` of every step (time axis after the
    batch axis, as Keras' `return_sequences=True`) and each gate's activations per step.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    single = inputs.ndim == 2
    if single:
        inputs = inputs[None]
    if inputs.ndim != 3:
        raise ValueError(f"inputs must be (time, features) or (batch, time, features), got shape {inputs.shape}")
    batch, steps, _ = inputs.shape
    units = np.shape(recurrent_kernel)[0]
    h = np.zeros((batch, units)) if h0 is None else np.asarray(h0, dtype=np.float64)
    c = np.zeros((batch, units)) if c0 is None else np.asarray(c0, dtype=np.float64)
    trace = {"h": [], "c": [], **{name: [] for name in GATE_ORDER}}
    for t in range(steps):
        h, c, gates = lstm_step(inputs[:, t], h, c, kernel, recurrent_kernel, bias)
        trace["h"].append(h)
        trace["c"].append(c)
        for name in GATE_ORDER:
            trace[name].append(gates[name])
    result = {key: np.stack(values, axis=1) for key, values in trace.items()}
    if single:
        result = {key: value[0] for key, value in result.items()}
    return result


def param_count(input_dim: int, units: int) -> int:
    """4 blocks, each with an input matrix, a recurrent matrix and a bias."""
    return 4 * (input_dim * units + units * units + units)


def run_fixed_gates(steps) -> list:
    """Cell and hidden state when the gates are set by hand instead of computed (one unit).

    `steps` is a list of dicts with keys forget, input, candidate, output (floats). Returns one dict
    per step with the same keys plus `c` and `h`. This is the LSTM update with the learning removed:
    it makes the arithmetic of forgetting, writing and reading visible.
    """
    c = 0.0
    trace = []
    for k, step in enumerate(steps):
        missing = {"forget", "input", "candidate", "output"} - set(step)
        if missing:
            raise ValueError(f"step {k} is missing {sorted(missing)}")
        for gate in ("forget", "input", "output"):
            if not 0.0 <= float(step[gate]) <= 1.0:
                raise ValueError(f"step {k}: the {gate} gate is a sigmoid output and must be in [0, 1], got {step[gate]}")
        if not -1.0 <= float(step["candidate"]) <= 1.0:
            raise ValueError(f"step {k}: the candidate is a tanh output and must be in [-1, 1], got {step['candidate']}")
        c = step["forget"] * c + step["input"] * step["candidate"]
        h = step["output"] * np.tanh(c)
        trace.append({**step, "c": float(c), "h": float(h)})
    return trace
