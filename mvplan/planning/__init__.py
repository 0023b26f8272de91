"""mvplan.planning"""
