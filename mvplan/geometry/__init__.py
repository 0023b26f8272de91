"""mvplan.geometry"""
