"""mvplan.gui"""
