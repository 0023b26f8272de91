"""mvplan.mechanics"""
