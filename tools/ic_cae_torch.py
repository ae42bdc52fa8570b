"""IC-search convolutional autoencoder (CAE) in PyTorch, the reference network specnet rebuilds.
Follows docs section A of /work/shared/docs/reference-architectures.md (public "iccae" code): same layer
pattern and state_dict key names (encoder.layers.*, encoder.fc1.0.*, decoder.fc1.0.*, decoder.layers.*).

Used by tools/make_fixtures.py (small widths, float64 parity fixture) and bench/peer/cae_torch.py (full size).
"""
import math

import torch
from torch import nn

# Reference widths: encoder channels after the stem and each residual block; the decoder walks them back.
REFERENCE_CHANNELS = (4, 16, 32, 64, 128)
REFERENCE_HIDDEN = (500, 50)
REFERENCE_BINS = 2960
REFERENCE_LATENT = 4


class BasicBlock(nn.Module):
    """Residual block: conv1(k3, stride) -> BN -> GELU -> conv2(k3) -> BN, plus skip, then GELU.

    In the decoder every conv is a ConvTranspose1d; conv1 and the skip conv use output_padding=1 so that
    stride 2 doubles the length. The skip path (k1 conv + BN, attribute `resize`) exists only when the
    channel count changes, as in the reference; otherwise the skip is the identity.
    """

    def __init__(self, in_channel, channel, stride=1, network="encoder"):
        super().__init__()
        if network not in ("encoder", "decoder"):
            raise ValueError(f"network must be 'encoder' or 'decoder', got {network!r}")
        decoder = network == "decoder"
        if decoder:
            self.conv1 = nn.ConvTranspose1d(in_channel, channel, kernel_size=3, stride=stride, padding=1,
                                            output_padding=1)
        else:
            self.conv1 = nn.Conv1d(in_channel, channel, kernel_size=3, stride=stride, padding=1)
        self.norm1 = nn.BatchNorm1d(channel)
        self.gelu = nn.GELU()
        conv = nn.ConvTranspose1d if decoder else nn.Conv1d
        self.conv2 = conv(channel, channel, kernel_size=3, stride=1, padding=1)
        self.norm2 = nn.BatchNorm1d(channel)
        self.resize = None
        if in_channel != channel:
            if decoder:
                skip = nn.ConvTranspose1d(in_channel, channel, kernel_size=1, stride=stride, output_padding=1)
            else:
                skip = nn.Conv1d(in_channel, channel, kernel_size=1, stride=stride)
            self.resize = nn.Sequential(skip, nn.BatchNorm1d(channel))

    def forward(self, x):  # (B, C_in, L) -> (B, C_out, L')
        skip = x if self.resize is None else self.resize(x)
        y = self.norm1(self.conv1(x))
        y = self.norm2(self.conv2(self.gelu(y)))
        return self.gelu(y + skip)


class Encoder(nn.Module):
    """(B, 1, n_bins) -> latent (B, latent): stem conv+BN, residual blocks, flatten, three GELU linears."""

    def __init__(self, n_bins=REFERENCE_BINS, latent=REFERENCE_LATENT, channels=REFERENCE_CHANNELS,
                 hidden=REFERENCE_HIDDEN):
        super().__init__()
        n_blocks = len(channels) - 1
        layers = [nn.Conv1d(1, channels[0], kernel_size=3, stride=2, padding=1), nn.BatchNorm1d(channels[0])]
        layers += [BasicBlock(channels[i], channels[i + 1], stride=2) for i in range(n_blocks)]
        self.layers = nn.Sequential(*layers)
        # Each stride-2 conv (k3 p1) maps L -> ceil(L/2); the stem plus n_blocks halvings.
        length = n_bins
        for _ in range(n_blocks + 1):
            length = math.ceil(length / 2)
        self.flat_features = length * channels[-1]
        self.fc1 = nn.Sequential(nn.Linear(self.flat_features, hidden[0]), nn.GELU())
        self.fc2 = nn.Sequential(nn.Linear(hidden[0], hidden[1]), nn.GELU())
        self.fc3 = nn.Sequential(nn.Linear(hidden[1], latent), nn.GELU())

    def forward(self, x):  # (B, 1, E) -> (B, latent)
        x = self.layers(x).flatten(1)  # (B, C_last * L_last), channel-major like einops 'b c l -> b (c l)'
        return self.fc3(self.fc2(self.fc1(x)))


class Decoder(nn.Module):
    """latent (B, latent) -> (B, 1, n_bins'): GELU linear, reshape, [transposed block -> BN -> GELU] x4, k1 conv.

    The reference starts from ceil(n_bins / 2^n_blocks) positions and doubles per block, so the output has
    n_bins bins exactly when n_bins is a multiple of 2^n_blocks (2960 = 185 * 16).
    """

    def __init__(self, n_bins=REFERENCE_BINS, latent=REFERENCE_LATENT, channels=REFERENCE_CHANNELS):
        super().__init__()
        up = tuple(reversed(channels))  # e.g. 128, 64, 32, 16, 4
        n_blocks = len(up) - 1
        self.start_channels = up[0]
        self.start_length = math.ceil(n_bins / 2 ** n_blocks)
        self.fc1 = nn.Sequential(nn.Linear(latent, self.start_length * up[0]), nn.GELU())
        layers = [nn.Unflatten(1, (up[0], self.start_length))]  # no parameters: keeps reference indices
        for i in range(n_blocks):
            layers += [BasicBlock(up[i], up[i + 1], stride=2, network="decoder"), nn.BatchNorm1d(up[i + 1]),
                       nn.GELU()]
        layers.append(nn.ConvTranspose1d(up[-1], 1, kernel_size=1, stride=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, z):  # (B, latent) -> (B, 1, E)
        return self.layers(self.fc1(z))


class ICCAE(nn.Module):
    """Encoder + decoder; state_dict keys are 'encoder.<reference key>' and 'decoder.<reference key>'."""

    def __init__(self, n_bins=REFERENCE_BINS, latent=REFERENCE_LATENT, channels=REFERENCE_CHANNELS,
                 hidden=REFERENCE_HIDDEN):
        super().__init__()
        self.encoder = Encoder(n_bins, latent, channels, hidden)
        self.decoder = Decoder(n_bins, latent, channels)

    def forward(self, x):  # (B, 1, E) -> (reconstruction (B, 1, E), latent (B, latent))
        code = self.encoder(x)
        return self.decoder(code), code


def cae_loss(recon, target, code, label, weight=0.1):
    """Reference loss: MSE(recon, target) + weight * sum|label - code| / batch. Returns (total, mse, regular)."""
    mse = torch.nn.functional.mse_loss(recon, target)
    regular = weight * torch.sum(torch.abs(label - code)) / label.shape[0]
    return mse + regular, mse, regular


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())
