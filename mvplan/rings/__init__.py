"""mvplan.rings"""
