"""mvplan.mechanics: energy terms, their assembly and a Newton solver (DESIGN.md section 6).

Quasi-static equilibrium is the minimiser of the total potential energy over free node
positions (mm); forces are in N, stiffnesses in N/mm, energies in N mm (= mJ).
"""

from __future__ import annotations

from mvplan.mechanics.assembly import BlockPattern, node_dofs, project_psd
from mvplan.mechanics.bending import DiscreteBending
from mvplan.mechanics.floating import ElasticRing
from mvplan.mechanics.foundation import Foundation
from mvplan.mechanics.frame import frame_stiffness
from mvplan.mechanics.leaflet_law import (
    LEAFLET_LAWS,
    LEAFLET_THICKNESS,
    MayNewmanYin,
    SaintVenantKirchhoff,
)
from mvplan.mechanics.linear_bending import LinearBending
from mvplan.mechanics.membrane import MembraneTriangles
from mvplan.mechanics.newton import (
    Cancelled,
    NewtonStep,
    NotConverged,
    SolveResult,
    free_dofs,
    roundoff_floor,
    solve,
)
from mvplan.mechanics.pressure import PressureVolume, follower_error, follower_forces
from mvplan.mechanics.rigid import RigidReduced, RigidRingMap
from mvplan.mechanics.shell_bending import ShellBending, find_hinges, plate_bending_stiffness
from mvplan.mechanics.springs import Springs
from mvplan.mechanics.sutures import Sutures
from mvplan.mechanics.terms import ConstantForce, ElementTerm, EnergyTerm, Sum
from mvplan.mechanics.verification import Verification
from mvplan.mechanics.verify import VERIFICATIONS, run_all

__all__ = [
    "LEAFLET_LAWS",
    "LEAFLET_THICKNESS",
    "VERIFICATIONS",
    "BlockPattern",
    "Cancelled",
    "ConstantForce",
    "DiscreteBending",
    "ElasticRing",
    "ElementTerm",
    "EnergyTerm",
    "Foundation",
    "LinearBending",
    "MayNewmanYin",
    "MembraneTriangles",
    "NewtonStep",
    "NotConverged",
    "PressureVolume",
    "RigidReduced",
    "RigidRingMap",
    "SaintVenantKirchhoff",
    "ShellBending",
    "SolveResult",
    "Springs",
    "Sum",
    "Sutures",
    "Verification",
    "find_hinges",
    "follower_error",
    "follower_forces",
    "frame_stiffness",
    "free_dofs",
    "node_dofs",
    "plate_bending_stiffness",
    "project_psd",
    "roundoff_floor",
    "run_all",
    "solve",
]
