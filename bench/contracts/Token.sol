// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A plain ERC-20 balance/transfer core. `run` mints to itself, then pays out
/// through many external self-calls of `transfer` (CALL, checked math, SSTORE, LOG3).
contract Token {
    event Transfer(address indexed from, address indexed to, uint256 value);

    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;

    function transfer(address to, uint256 amount) public returns (bool) {
        uint256 b = balanceOf[msg.sender];
        require(b >= amount, "insufficient balance");
        unchecked {
            balanceOf[msg.sender] = b - amount;
        }
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }

    function run(uint256 n) external returns (uint256 left, uint256 paid) {
        uint256 minted = n * 10;
        totalSupply += minted;
        balanceOf[address(this)] += minted;
        emit Transfer(address(0), address(this), minted);
        for (uint256 i = 0; i < n; i++) {
            address to = address(uint160(0x1000 + (i % 97)));
            uint256 amount = 1 + (i % 7);
            require(this.transfer(to, amount), "transfer failed");
            paid += amount;
        }
        left = balanceOf[address(this)];
        // Conservation: what left the contract arrived at the recipients.
        uint256 received;
        for (uint256 k = 0; k < 97 && k < n; k++) received += balanceOf[address(uint160(0x1000 + k))];
        require(received == paid && left + paid == minted, "supply not conserved");
    }
}
