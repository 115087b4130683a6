"""Every network, one file per family (mlp, dcgan, cgan, sgan, cyclegan, toy), and the registry that builds the
generator and discriminator a config asks for."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan.config import Config
from gan.data import n_classes_of
from gan.models.cgan import CGANDiscriminator, CGANGenerator
from gan.models.common import IMAGE_SHAPE, NoiseGenerator, count_parameters
from gan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gan.models.mlp import MLPDiscriminator, MLPGenerator
from gan.models.sgan import SGANDiscriminator


def build_generator(cfg: Config) -> NoiseGenerator:
    if cfg.arch == "mlp":
        return MLPGenerator(cfg.latent_dim, cfg.g_width, cfg.leaky_slope, cfg.bn_momentum, cfg.image_shape)
    if cfg.arch in ("dcgan", "sgan"):  # the semi-supervised GAN keeps the ch. 4 generator
        return DCGANGenerator(cfg.latent_dim, cfg.g_width, cfg.leaky_slope, cfg.bn_momentum, cfg.image_shape)
    if cfg.arch == "cgan":
        return CGANGenerator(cfg.latent_dim, cfg.g_width, cfg.leaky_slope, cfg.bn_momentum, n_classes_of(cfg.dataset),
                             cfg.image_shape)
    raise ValueError(f"unknown arch {cfg.arch!r}")


def build_discriminator(cfg: Config) -> nn.Module:
    D = _discriminator(cfg)
    return with_spectral_norm(D) if cfg.spectral_norm else D


def _discriminator(cfg: Config) -> nn.Module:
    if cfg.arch == "mlp":
        return MLPDiscriminator(cfg.d_width, cfg.leaky_slope, cfg.image_shape)
    if cfg.arch == "dcgan":
        return DCGANDiscriminator(cfg.d_width, cfg.leaky_slope, cfg.bn_momentum, cfg.image_shape)
    if cfg.arch == "cgan":
        return CGANDiscriminator(cfg.d_width, cfg.leaky_slope, cfg.bn_momentum, n_classes_of(cfg.dataset),
                                 cfg.image_shape)
    if cfg.arch == "sgan":
        return SGANDiscriminator(cfg.d_width, cfg.leaky_slope, cfg.bn_momentum)
    raise ValueError(f"unknown arch {cfg.arch!r}")


def with_spectral_norm(D: nn.Module) -> nn.Module:
    """Every Linear and Conv layer of D divided by its weight's largest singular value, estimated by one power
    iteration per training step (SN-GAN). Embeddings (the conditional D's label stamp) are lookups, not maps of the
    image, and stay as they are."""
    for module in list(D.modules()):
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            spectral_norm(module)
    return D


__all__ = ["IMAGE_SHAPE", "NoiseGenerator", "build_generator", "build_discriminator", "count_parameters", "with_spectral_norm",
           "MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "CGANGenerator", "CGANDiscriminator", "SGANDiscriminator"]
