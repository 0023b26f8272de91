"""Hyperelastic membrane laws for leaflet tissue: energy density of the in-plane stretch.

A membrane law gives the strain energy per unit **reference volume** ``W`` (MPa = N mm/mm^3) of
a thin sheet in plane stress as a function of the in-plane right Cauchy-Green tensor
``C = F^T F`` (2x2, in an orthonormal frame of the element's reference plane), with its first
and second derivatives. The second Piola-Kirchhoff membrane stress is ``S = 2 dW/dC`` (MPa);
the out-of-plane stretch ``lambda_3`` needed for the current thickness and the Cauchy stress
comes from the law (:meth:`MembraneLaw.thickness_stretch`).

Derivatives are taken with respect to the four entries of ``C`` as independent variables,
``dW/dC[i, j] = dW/dC_ij`` and ``d2W/dC2[i, j, k, l] = d2W/dC_ij dC_kl``; every formula below
(``tr C``, ``det C = C00 C11 - C01 C10``, ``a0 . C a0``, ``E : E``) is defined for a general
2x2 matrix, so central differences over single entries check them. At a symmetric ``C`` the
first derivative is symmetric; contracted with the symmetric variations ``dC`` that
deformations produce, the second derivative gives the exact tangent.

May-Newman and Yin (anisotropic, incompressible)
------------------------------------------------
May-Newman K, Yin FCP, "A constitutive law for mitral valve tissue", J Biomech Eng
1998;120(1):38-47, fitted biaxial tests of porcine mitral leaflets with

    W = c0 [exp(Q) - 1],    Q = c1 (I1 - 3)^2 + c2 (sqrt(I4) - 1)^4,

    I1 = tr C + 1 / det C        (incompressible: C33 = lambda_3^2 = 1 / det C),
    I4 = a0 . C a0               (a0: unit fibre direction in the reference plane,
                                  the circumferential direction of the leaflet).

``sqrt(I4)`` is the fibre stretch, so the fibre term is the fourth power of the fibre strain,
not ``(I4 - 1)^2``: the published ``c2`` belong to this form only (the same three-coefficient
law in pymecht's ``MN`` model and in May-Newman, Lam and Yin 2009 for aortic tissue).
Both terms are of fourth order in the strain (``I1 - 3`` is of second order for an
incompressible sheet), so **the law has zero stiffness at the reference state**: the membrane
Hessian vanishes there, and a solve must take its stiffness at rest from other terms (bending,
the optional ``mu / 2 (I1 - 3)`` neo-Hookean matrix below, load steps).

Parameters (``LEAFLET_LAWS``; porcine tissue):

==========  ==========  =====  ======  ===============================================
leaflet     c0 (kPa)    c1     c2      source
==========  ==========  =====  ======  ===============================================
anterior    0.399       4.325  1446.5  May-Newman and Yin 1998, as used by Prot,
posterior   0.414       4.848  305.4   Haaverstad and Skallerud 2009 (Biomech Model
                                       Mechanobiol 8:43) (unconfirmed: not checked
                                       against the papers' tables)
==========  ==========  =====  ======  ===============================================

Thicknesses (``LEAFLET_THICKNESS``): anterior 0.69 mm, posterior 0.51 mm (porcine; Kunzelman
KS et al., "Finite element analysis of the mitral valve", J Heart Valve Dis 1993;2:326-340,
the values Prot et al. use) (unconfirmed).

Options beyond the published law: ``shear_modulus`` ``mu`` adds an isotropic neo-Hookean matrix
``mu / 2 (I1 - 3)`` (0 by default); ``fibre_compression=False`` makes the fibre term act only
in extension (``(max(sqrt(I4) - 1, 0))^4``, still twice differentiable). Above
``Q = Q_CAP = 100`` (fibre stretch about 1.5 with the anterior ``c2``: far past tissue failure)
``exp(Q)`` is continued by its second-order Taylor polynomial, so energies stay finite and C2
(no overflow in a line search's trial steps) and the law stays convex in ``Q``.

Derivatives through the invariants: with ``d = det C`` and ``cof = d(det C)/dC``,

    dI1/dC = I - cof / d^2,      d2I1/dC2 = -D / d^2 + 2 cof x cof / d^3,
    dI4/dC = a0 x a0,            d2I4/dC2 = 0,

where ``D = d2(det C)/dC2`` (``D_0011 = D_1100 = 1``, ``D_0110 = D_1001 = -1``), and

    dW = W_1 dI1 + W_4 dI4,
    d2W = W_11 dI1 x dI1 + W_14 (dI1 x dI4 + dI4 x dI1) + W_44 dI4 x dI4 + W_1 d2I1.

Saint Venant-Kirchhoff (isotropic, plane stress)
------------------------------------------------
With ``E = (C - I) / 2``, Young's modulus ``Y`` and Poisson's ratio ``nu``,

    W = mu E : E + lambda_ / 2 (tr E)^2,    mu = Y / (2 (1 + nu)),
                                            lambda_ = Y nu / (1 - nu^2)  (plane-stress Lame),

    dW/dC = mu E + lambda_ / 2 tr E I       (so S = 2 mu E + lambda_ tr E I),
    d2W/dC2 = mu / 2 II + lambda_ / 4 I x I,     II_ijkl = delta_ik delta_jl.

This is the 3D St. Venant-Kirchhoff law with ``S33 = 0`` condensed exactly
(``E33 = -nu / (1 - nu) tr E``); for small strains it is Hooke's plane-stress law, the
material of Hencky's pressurised circular membrane. Like every St. Venant-Kirchhoff law it
softens under strong compression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import numpy as np

from mvplan.mechanics.assembly import FloatArray

__all__ = [
    "LEAFLET_LAWS",
    "LEAFLET_THICKNESS",
    "Q_CAP",
    "LawDerivatives",
    "MayNewmanYin",
    "MembraneLaw",
    "SaintVenantKirchhoff",
]

Q_CAP = 100.0
_EYE = np.eye(2)
# II_ijkl = delta_ik delta_jl and I x I, the two isotropic 4th-order tensors in 2D.
_II = np.einsum("ik,jl->ijkl", _EYE, _EYE)
_I_I = np.einsum("ij,kl->ijkl", _EYE, _EYE)
# D = d2(det C)/dC2 for det C = C00 C11 - C01 C10.
_D_DET = np.zeros((2, 2, 2, 2))
_D_DET[0, 0, 1, 1] = _D_DET[1, 1, 0, 0] = 1.0
_D_DET[0, 1, 1, 0] = _D_DET[1, 0, 0, 1] = -1.0
_COFACTOR_SIGN = np.array([1.0, -1.0, -1.0, 1.0])

LawDerivatives = tuple[FloatArray, FloatArray | None, FloatArray | None]


@runtime_checkable
class MembraneLaw(Protocol):
    """What :class:`~mvplan.mechanics.membrane.MembraneTriangles` needs from a material."""

    @property
    def anisotropic(self) -> bool:
        """Whether the law reads the fibre direction."""
        ...

    def evaluate(self, c: FloatArray, fibre: FloatArray, order: int = 2) -> LawDerivatives:
        """``W`` ``(m,)`` MPa, ``dW/dC`` ``(m, 2, 2)`` if order >= 1, ``d2W/dC2`` if 2.

        ``c`` is ``(m, 2, 2)``, ``fibre`` ``(m, 2)`` unit vectors in the same frame.
        """
        ...

    def thickness_stretch(self, c: FloatArray) -> FloatArray:
        """Out-of-plane stretch ``lambda_3`` ``(m,)`` under plane stress."""
        ...


def _det_terms(c: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``det C`` ``(m,)`` and its derivative, the cofactor matrix ``(m, 2, 2)``."""
    flat = c.reshape(-1, 4)
    det = flat[:, 0] * flat[:, 3] - flat[:, 1] * flat[:, 2]
    cof = (flat[:, ::-1] * _COFACTOR_SIGN).reshape(-1, 2, 2)  # (C11, -C10, -C01, C00)
    return det, cof


def _exp_capped(q: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``exp(Q)`` and its two derivatives, continued by a Taylor quadratic above ``Q_CAP``."""
    over = np.maximum(q - Q_CAP, 0.0)
    base = np.exp(np.minimum(q, Q_CAP))
    return base * (1.0 + over + 0.5 * over**2), base * (1.0 + over), base


def _fibre_profile(i4: FloatArray, compression: bool) -> tuple[FloatArray, ...]:
    """``g = (sqrt(I4) - 1)^4`` and its first two derivatives in ``I4``."""
    alpha = np.sqrt(i4)
    s = alpha - 1.0 if compression else np.maximum(alpha - 1.0, 0.0)
    s2 = s * s  # products, not powers: np.power is slow for exponents other than 2
    g0 = s2 * s2
    g1 = 2.0 * s2 * s / alpha
    g2 = s2 * (2.0 * alpha + 1.0) / (alpha * alpha * alpha)
    return g0, g1, g2


@dataclass(frozen=True)
class MayNewmanYin:
    """May-Newman and Yin's exponential law for mitral leaflets (see the module docstring).

    Parameters
    ----------
    c0 : float, MPa
        Scale ``c0 >= 0`` (the paper gives kPa: 0.399 kPa is 3.99e-4 MPa).
    c1 : float
        Isotropic exponent coefficient (dimensionless, ``>= 0``).
    c2 : float
        Fibre exponent coefficient (dimensionless, ``>= 0``).
    shear_modulus : float, MPa
        Optional neo-Hookean matrix ``mu / 2 (I1 - 3)``; 0 reproduces the published law.
    fibre_compression : bool
        True (published): the fibre term also resists fibre shortening.
    """

    c0: float
    c1: float
    c2: float
    shear_modulus: float = 0.0
    fibre_compression: bool = True

    def __post_init__(self) -> None:
        if self.c0 < 0.0 or self.c1 < 0.0 or self.c2 < 0.0 or self.shear_modulus < 0.0:
            raise ValueError("May-Newman-Yin coefficients must be >= 0")

    @property
    def anisotropic(self) -> bool:
        return self.c2 > 0.0

    def evaluate(self, c: FloatArray, fibre: FloatArray, order: int = 2) -> LawDerivatives:
        """Energy density and its derivatives in ``C``.

        Parameters
        ----------
        c : (m, 2, 2) float
            In-plane right Cauchy-Green tensors.
        fibre : (m, 2) float
            Unit fibre directions ``a0`` in the frame of ``c``.
        order : int
            0, 1 or 2: how many derivatives to return.

        Returns
        -------
        W : (m,) float, MPa
        dW/dC : (m, 2, 2) float, MPa, or None when ``order < 1``
        d2W/dC2 : (m, 2, 2, 2, 2) float, MPa, or None when ``order < 2``
        """
        det, cof = _det_terms(c)
        flat, m = c.reshape(-1, 4), c.shape[0]
        i1 = flat[:, 0] + flat[:, 3] + 1.0 / det
        f0, f1 = fibre[:, 0], fibre[:, 1]
        i4 = f0 * f0 * flat[:, 0] + f0 * f1 * (flat[:, 1] + flat[:, 2]) + f1 * f1 * flat[:, 3]
        g0, g1, g2 = _fibre_profile(i4, self.fibre_compression)
        q = self.c1 * (i1 - 3.0) ** 2 + self.c2 * g0
        h0, h1, h2 = _exp_capped(q)
        mu = self.shear_modulus
        energy = self.c0 * (h0 - 1.0) + 0.5 * mu * (i1 - 3.0)
        if order == 0:
            return energy, None, None
        q1 = 2.0 * self.c1 * (i1 - 3.0)
        q4 = self.c2 * g1
        w1 = self.c0 * h1 * q1 + 0.5 * mu
        w4 = self.c0 * h1 * q4
        inv_det2 = 1.0 / (det * det)
        d_i1 = _EYE.reshape(4) - cof.reshape(m, 4) * inv_det2[:, None]  # (m, 4): flattened
        d_i4 = (fibre[:, :, None] * fibre[:, None, :]).reshape(m, 4)
        first = w1[:, None] * d_i1 + w4[:, None] * d_i4
        if order == 1:
            return energy, first.reshape(m, 2, 2), None
        w11 = self.c0 * (h2 * q1**2 + 2.0 * self.c1 * h1)
        w14 = self.c0 * h2 * q1 * q4
        w44 = self.c0 * (h2 * q4**2 + self.c2 * h1 * g2)
        # d2W = d_i1 x (w11 d_i1 + w14 d_i4) + d_i4 x (w14 d_i1 + w44 d_i4) + w1 d2I1, with
        # d2I1 = -D / d^2 + 2 cof x cof / d^3: three outer products in one small product.
        left = np.stack([d_i1, d_i4, cof.reshape(m, 4)], axis=2)  # (m, 4, 3)
        right = np.stack(
            [
                w11[:, None] * d_i1 + w14[:, None] * d_i4,
                w14[:, None] * d_i1 + w44[:, None] * d_i4,
                (2.0 * w1 * inv_det2 / det)[:, None] * cof.reshape(m, 4),
            ],
            axis=1,
        )  # (m, 3, 4)
        second = left @ right
        second -= (w1 * inv_det2)[:, None, None] * _D_DET.reshape(4, 4)
        return energy, first.reshape(m, 2, 2), second.reshape(m, 2, 2, 2, 2)

    def thickness_stretch(self, c: FloatArray) -> FloatArray:
        """``lambda_3 = 1 / sqrt(det C)`` (incompressible) ``(m,)``."""
        return 1.0 / np.sqrt(_det_terms(c)[0])


@dataclass(frozen=True)
class SaintVenantKirchhoff:
    """Isotropic St. Venant-Kirchhoff membrane in plane stress (see the module docstring).

    Parameters
    ----------
    youngs_modulus : float, MPa
        ``Y > 0``.
    poisson_ratio : float
        ``-1 < nu <= 0.5``.
    """

    youngs_modulus: float
    poisson_ratio: float

    def __post_init__(self) -> None:
        if self.youngs_modulus <= 0.0 or not -1.0 < self.poisson_ratio <= 0.5:
            raise ValueError("St. Venant-Kirchhoff needs Y > 0 and -1 < nu <= 0.5")

    @property
    def anisotropic(self) -> bool:
        return False

    @property
    def lame(self) -> tuple[float, float]:
        """Plane-stress Lame constants ``(lambda_, mu)``, MPa."""
        y, nu = self.youngs_modulus, self.poisson_ratio
        return y * nu / (1.0 - nu**2), y / (2.0 * (1.0 + nu))

    def evaluate(self, c: FloatArray, fibre: FloatArray, order: int = 2) -> LawDerivatives:
        """Energy density and its derivatives in ``C`` (``fibre`` is ignored).

        Shapes and units as :meth:`MayNewmanYin.evaluate`.
        """
        lam, mu = self.lame
        e = 0.5 * (c - _EYE)
        tr = e[:, 0, 0] + e[:, 1, 1]
        energy = mu * np.einsum("mij,mij->m", e, e) + 0.5 * lam * tr**2
        if order == 0:
            return energy, None, None
        first = mu * e + 0.5 * lam * tr[:, None, None] * _EYE
        if order == 1:
            return energy, first, None
        second = np.broadcast_to(0.5 * mu * _II + 0.25 * lam * _I_I, (c.shape[0], 2, 2, 2, 2))
        return energy, first, second.copy()

    def thickness_stretch(self, c: FloatArray) -> FloatArray:
        """``lambda_3 = sqrt(1 + 2 E33)``, ``E33 = -nu/(1 - nu) tr E`` ``(m,)``.

        ``1 + 2 E33`` is clamped at ``1e-6`` for in-plane stretches so large that it would
        vanish (``tr E >= (1 - nu) / (2 nu)``, past any use of this law).
        """
        nu = self.poisson_ratio
        tr = 0.5 * (c[:, 0, 0] + c[:, 1, 1] - 2.0)
        return np.sqrt(np.maximum(1.0 - 2.0 * nu / (1.0 - nu) * tr, 1e-6))


LEAFLET_LAWS: Mapping[str, MayNewmanYin] = MappingProxyType(
    {
        "anterior": MayNewmanYin(c0=0.399e-3, c1=4.325, c2=1446.5),
        "posterior": MayNewmanYin(c0=0.414e-3, c1=4.848, c2=305.4),
    }
)
"""May-Newman and Yin 1998 coefficients per leaflet, ``c0`` in MPa (module docstring)."""

LEAFLET_THICKNESS: Mapping[str, float] = MappingProxyType({"anterior": 0.69, "posterior": 0.51})
"""Leaflet thickness, mm (Kunzelman et al. 1993; module docstring)."""
