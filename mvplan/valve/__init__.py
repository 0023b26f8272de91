"""mvplan.valve"""
